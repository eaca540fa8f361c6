from django.urls import path

from accounts import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("availability/", views.availability, name="availability"),
    path("language/", views.language, name="language"),
    path("settings/agents/", views.agent_list, name="settings-agents"),
    path("settings/agents/new/", views.agent_edit, name="settings-agent-new"),
    path("settings/agents/<uuid:user_uuid>/", views.agent_edit, name="settings-agent"),
    path("settings/teams/", views.team_list, name="settings-teams"),
    path("settings/teams/new/", views.team_edit, name="settings-team-new"),
    path("settings/teams/<uuid:team_uuid>/", views.team_edit, name="settings-team"),
]
