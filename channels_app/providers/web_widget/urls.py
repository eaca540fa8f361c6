from django.urls import path

from channels_app.providers.web_widget import views

app_name = "web_widget"
urlpatterns = [
    path("widget.js", views.loader, name="loader"),
    path("widget/demo/", views.demo_any, name="demo-any"),
    path("widget/<uuid:channel_uuid>/frame/", views.frame, name="frame"),
    path("widget/<uuid:channel_uuid>/logo", views.logo, name="logo"),
    path("widget/<uuid:channel_uuid>/demo/", views.demo, name="demo"),
    path("widget/api/session", views.session, name="session"),
    path("widget/api/messages", views.messages, name="messages"),
    path("widget/api/uploads", views.upload, name="upload"),
    path("widget/api/profile", views.profile, name="profile"),
    path("widget/api/receipts", views.receipts, name="receipts"),
    path("widget/api/typing", views.typing, name="typing"),
]
