from django.urls import path

from conversations import views_files

urlpatterns = [
    path("attachments/<str:token>/", views_files.attachment_download, name="attachment-download"),
]
