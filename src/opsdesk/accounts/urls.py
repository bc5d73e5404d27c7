from django.urls import path

from . import views

urlpatterns = [
    path("accounts/sign-in/", views.sign_in, name="login"),
    path("accounts/sign-out/", views.sign_out, name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/profile/tokens/", views.token_create, name="token_create"),
    path("accounts/profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("accounts/staff-levels/", views.staff_levels, name="staff_levels"),
    path("accounts/staff-levels/new/", views.staff_level_create, name="staff_level_create"),
    path("accounts/staff-levels/<int:level_id>/rates/", views.staff_level_rate_add, name="staff_level_rate_add"),
    path("accounts/staff-levels/people/", views.user_staff_level_set, name="user_staff_level_set"),
]
