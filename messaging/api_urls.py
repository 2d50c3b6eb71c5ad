from django.urls import path

from messaging import api

urlpatterns = [
    path("threads/", api.ThreadListView.as_view(), name="api_threads"),
    path("threads/<int:thread_id>/", api.ThreadDetailView.as_view(), name="api_thread"),
    path("threads/<int:thread_id>/messages/", api.ThreadMessagesView.as_view(), name="api_thread_messages"),
    path("threads/<int:thread_id>/forward/", api.ThreadForwardView.as_view(), name="api_thread_forward"),
    path("attachments/<int:attachment_id>/", api.AttachmentDownloadView.as_view(), name="api_attachment"),
    path("inbox/", api.InboxListView.as_view(), name="api_inbox"),
    path("inbox/bulk/", api.InboxBulkView.as_view(), name="api_inbox_bulk"),
    path("inbox/<int:item_id>/", api.InboxItemView.as_view(), name="api_inbox_item"),
]
