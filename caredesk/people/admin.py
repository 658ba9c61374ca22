"""Users, teams and agents in the admin. Leads and admins manage teams and agents (see
`caredesk.admin_site`); users and API tokens stay with staff, since they carry the keys."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from caredesk.admin_site import LeadsManage, desk_agent
from caredesk.people.models import Agent, ApiToken, Role, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Name", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Team)
class TeamAdmin(LeadsManage):
    """Teams are named here; how a team works and who is in it are set on the desk's team page,
    through the services that check them (`team_update`, `team_members_set`)."""

    list_display = ["name", "auto_assign", "update_interval_hours"]
    fields = ["name", "auto_assign", "update_interval_hours", "how_it_works"]
    readonly_fields = ["auto_assign", "update_interval_hours", "how_it_works"]

    @admin.display(description="Risk policy and members")
    def how_it_works(self, team: Team) -> str:
        if team.pk is None:
            return "Save the team first; then set how it works on the desk's team page."
        url = reverse("people:team_edit", args=[team.pk])
        return format_html('<a href="{}">Edit how {} works, and its members</a>', url, team.name)


@admin.register(Agent)
class AgentAdmin(LeadsManage):
    """Leads change an agent's teams and capacity; only admins change a role. Agents are made
    with `caredesk` commands (a user and an agent together), so leads neither add nor delete
    them here."""

    list_display = ["user", "role", "presence", "capacity"]
    list_filter = ["role", "presence", "teams"]
    list_select_related = ["user"]
    filter_horizontal = ["teams"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if request.user.is_superuser:
            return []
        agent = desk_agent(request)
        fixed = ["user", "presence", "last_assigned_at"]
        return fixed if agent is not None and agent.role == Role.ADMIN else [*fixed, "role"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "created_at", "last_used_at"]
    readonly_fields = ["digest"]
