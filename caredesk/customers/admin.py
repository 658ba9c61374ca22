from django.contrib import admin

from caredesk.customers.models import Customer, Identity, Organisation


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "locale", "created_at"]
    search_fields = ["name", "identities__value"]
    inlines = [IdentityInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "plan"]
