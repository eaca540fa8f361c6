from django.urls import path

from conversations import views

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/list/", views.inbox_list, name="inbox-list"),
    path("inbox/unread/", views.unread_summary, name="unread-summary"),
    path("conversations/<uuid:conversation_uuid>/", views.inbox, name="conversation"),
    path("conversations/<uuid:conversation_uuid>/row/", views.conversation_row, name="conversation-row"),
    path("conversations/<uuid:conversation_uuid>/header/", views.conversation_header, name="conversation-header"),
    path("conversations/<uuid:conversation_uuid>/timeline/", views.conversation_timeline, name="conversation-timeline"),
    path("conversations/<uuid:conversation_uuid>/earlier/", views.conversation_earlier, name="conversation-earlier"),
    path("conversations/<uuid:conversation_uuid>/messages/", views.message_create, name="message-create"),
    path("conversations/<uuid:conversation_uuid>/assign/", views.conversation_assign, name="conversation-assign"),
    path("conversations/<uuid:conversation_uuid>/status/", views.conversation_status, name="conversation-status"),
    path("conversations/<uuid:conversation_uuid>/labels/", views.conversation_labels, name="conversation-labels"),
    path("conversations/<uuid:conversation_uuid>/read/", views.conversation_read, name="conversation-read"),
    path("conversations/<uuid:conversation_uuid>/unread/", views.conversation_unread, name="conversation-unread"),
    path("messages/<uuid:message_uuid>/", views.message_fragment, name="message"),
    path("messages/<uuid:message_uuid>/retry/", views.message_retry, name="message-retry"),
]

from conversations import views_settings  # noqa: E402

urlpatterns += [
    path("search/", views_settings.search_view, name="search"),
    path("settings/", views_settings.settings_index, name="settings"),
    path("settings/canned/", views_settings.canned, name="settings-canned"),
    path("settings/canned/<int:pk>/", views_settings.canned, name="settings-canned-edit"),
    path("settings/canned/<int:pk>/delete/", views_settings.canned_delete, name="settings-canned-delete"),
    path("settings/labels/", views_settings.labels, name="settings-labels"),
    path("settings/labels/<int:pk>/", views_settings.labels, name="settings-labels-edit"),
    path("settings/labels/<int:pk>/delete/", views_settings.label_delete, name="settings-labels-delete"),
]
