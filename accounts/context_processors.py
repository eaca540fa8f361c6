from accounts.models import User


def console(request):
    return {"availability_choices": User.Availability.choices}
