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
