from django.urls import path

from messaging import views

app_name = "messaging"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/bulk/", views.inbox_bulk, name="inbox_bulk"),
    path("inbox/<int:item_id>/", views.inbox_item, name="inbox_item"),
    path("inbox/<int:item_id>/update/", views.inbox_update, name="inbox_update"),
    path("messages/", views.thread_list, name="threads"),
    path("messages/<int:thread_id>/", views.thread_page, name="thread"),
    path("messages/<int:thread_id>/forward/", views.forward, name="forward"),
    path("messages/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
