from django.urls import path

from contacts import views

urlpatterns = [
    path("contacts/", views.contact_list, name="contacts"),
    path("contacts/<uuid:contact_uuid>/", views.contact_detail, name="contact"),
    path("contacts/<uuid:contact_uuid>/merge/", views.contact_merge, name="contact-merge"),
]
