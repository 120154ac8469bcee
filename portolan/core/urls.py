from django.contrib.auth import views as auth_views
from django.urls import path

from portolan.core.views import pages

urlpatterns = [
    path("", pages.HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("search/", pages.SearchView.as_view(), name="search"),
    path("admin/audit/", pages.AuditLogView.as_view(), name="audit_log"),
    path("admin/users/", pages.UserListView.as_view(), name="user_list"),
    path("admin/tokens/", pages.TokenListView.as_view(), name="token_list"),
]
