from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("api/v1/", include("opsdesk.api.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("opsdesk.ui.urls")),
]
