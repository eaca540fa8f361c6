"""Writes for users, teams and inbox membership."""

from django.db import transaction

from accounts.models import InboxMembership, Team, User


@transaction.atomic
def admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """The administrator with this e-mail exists, is active and has this password."""
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User(username=email.split("@")[0][:150] or "admin", email=email)
        if User.objects.filter(username=user.username).exists():
            user.username = email[:150]
    user.role = User.Role.ADMIN
    user.is_staff = True
    user.is_superuser = True
    user.is_active = True
    if created or not user.check_password(password):
        user.set_password(password)
    user.save()
    return user, created


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    role: str = User.Role.AGENT,
    availability: str = User.Availability.OFFLINE,
    max_open_conversations: int = 0,
) -> User:
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        availability=availability,
        max_open_conversations=max_open_conversations,
        is_staff=role == User.Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def user_set_availability(*, user: User, availability: str) -> User:
    User.objects.filter(pk=user.pk).update(availability=availability)
    user.availability = availability
    return user


@transaction.atomic
def inbox_members_set(*, channel, users: list[User]) -> None:
    """Make exactly `users` the members of the channel's inbox."""
    InboxMembership.objects.filter(channel=channel).exclude(user__in=users).delete()
    existing = set(InboxMembership.objects.filter(channel=channel).values_list("user_id", flat=True))
    InboxMembership.objects.bulk_create([InboxMembership(user=u, channel=channel) for u in users if u.pk not in existing])


@transaction.atomic
def inbox_member_add(*, channel, user: User) -> None:
    InboxMembership.objects.get_or_create(channel=channel, user=user)


@transaction.atomic
def team_create(*, name: str, members: list[User] = (), description: str = "") -> Team:
    team = Team.objects.create(name=name, description=description)
    team.members.set(members)
    return team


@transaction.atomic
def profile_update(*, user: User, first_name: str, last_name: str, email: str, language: str, time_zone: str) -> User:
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["first_name", "last_name", "email", "language", "time_zone"])
    return user


@transaction.atomic
def language_set(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(language=language)


@transaction.atomic
def agent_save(*, form, inboxes, teams) -> User:
    """Create or edit an agent from the settings form, with their inboxes and teams. A new agent
    gets an unusable password and signs in after choosing one through "forgot password"."""
    from channels_app.models import Channel

    user = form.save(commit=False)
    if user.pk is None:
        user.set_unusable_password()
    user.is_staff = user.role == User.Role.ADMIN
    user.save()
    InboxMembership.objects.filter(user=user).exclude(channel__in=inboxes).delete()
    have = set(InboxMembership.objects.filter(user=user).values_list("channel_id", flat=True))
    InboxMembership.objects.bulk_create(
        [InboxMembership(user=user, channel=c) for c in Channel.objects.filter(pk__in=[i.pk for i in inboxes]) if c.pk not in have]
    )
    user.teams.set(teams)
    return user


@transaction.atomic
def team_save(*, form) -> Team:
    """Create or edit a team (name, description, members) from the settings form."""
    return form.save()
