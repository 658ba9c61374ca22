"""The admin, open to the desk's leads and admins as well as to staff.

Leads manage the desk (coach rules, saved replies, teams, agents) without being made superusers:
the site lets in an active user who is staff or a lead or admin agent, and each model's admin
says by role what they may do (`LeadsManage`). Conversations and their history are read-only for
everyone (`ReadOnly`): the desk's services change them and record an event for each change.

This module is loaded while Django is still reading its apps (it names the admin's app config),
so it imports no models; the agent is reached through the user's `agent` relation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


def desk_agent(request: HttpRequest) -> Any:
    """The active agent behind this request, or None for customers, staff and anonymous users."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return None
    return getattr(user, "agent", None)


def manages_desk(request: HttpRequest) -> bool:
    """Leads and admins run the desk."""
    agent = desk_agent(request)
    return bool(agent is not None and agent.sees_everything)


class DeskAdminSite(admin.AdminSite):
    site_header = "Caredesk admin"
    site_title = "Caredesk admin"
    index_title = "Run the desk"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and (user.is_staff or manages_desk(request)))


class DeskAdminConfig(AdminConfig):
    """Django's admin app, with `DeskAdminSite` as `admin.site`."""

    default_site = "caredesk.admin_site.DeskAdminSite"


class LeadsManage(admin.ModelAdmin):  # type: ignore[type-arg]
    """Leads and admins may view, add, change and delete; others keep Django's permissions."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return manages_desk(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return manages_desk(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return manages_desk(request) or super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return manages_desk(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return manages_desk(request) or super().has_delete_permission(request, obj)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shown, never changed: a change here would have no event, so no one may make one."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return manages_desk(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return manages_desk(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
