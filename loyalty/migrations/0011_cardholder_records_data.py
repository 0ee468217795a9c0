"""Consents are append-only like the ledger; managers get the new capabilities (corrections, own fields,
import, audit log); the till's consents written so far to the audit log become consent rows; existing
cardholders get their name search index."""
from django.db import migrations

MANAGER_GROUP = "Leitung/Manager"
# loyalty.roles: the capabilities "adjust", "custom_fields", "import" and "audit_log", as of this
# migration.
NEW_MANAGER_PERMISSIONS = {
    "change_account": ("account", "Can change account"),
    "add_customfield": ("customfield", "Can add own field"),
    "change_customfield": ("customfield", "Can change own field"),
    "view_customfield": ("customfield", "Can view own field"),
    "add_cardholderimport": ("cardholderimport", "Can add cardholder import"),
    "view_cardholderimport": ("cardholderimport", "Can view cardholder import"),
    "view_auditlog": ("auditlog", "Can view audit log entry"),
}


def managers_get_new_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    groups = list(Group.objects.filter(name=MANAGER_GROUP))
    if not groups:
        return  # a new merchant: its groups are made with the permissions of loyalty.roles
    # Made here, as Django makes permissions only after every migration has run.
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    permissions = []
    for codename, (model, name) in NEW_MANAGER_PERMISSIONS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="loyalty", model=model)
        permission, _ = Permission.objects.get_or_create(codename=codename, content_type=content_type,
                                                         defaults={"name": name})
        permissions.append(permission)
    for group in groups:
        group.permissions.add(*permissions)


def consents_from_audit(apps, schema_editor):
    AuditLog = apps.get_model("loyalty", "AuditLog")
    Consent = apps.get_model("loyalty", "Consent")
    Cardholder = apps.get_model("loyalty", "Cardholder")
    known = set(Cardholder.objects.values_list("pk", flat=True))
    rows = [
        Consent(cardholder_id=int(entry.object_id), purpose=entry.data.get("purpose", "terms_and_privacy"),
                granted=True, source=entry.data.get("source", "till"), actor_user_id=entry.actor_user_id,
                actor_terminal_id=entry.actor_terminal_id)
        for entry in AuditLog.objects.filter(action="cardholder.consent").order_by("pk")
        if entry.object_id.isdigit() and int(entry.object_id) in known
    ]
    created = Consent.objects.bulk_create(rows)
    # The time the consent was given, not the time of this migration.
    for consent, entry in zip(created, AuditLog.objects.filter(action="cardholder.consent").order_by("pk"),
                              strict=False):
        Consent.objects.filter(pk=consent.pk).update(created_at=entry.created_at)


def name_index_build(apps, schema_editor):
    from loyalty.services.cardholders import name_index_of

    Cardholder = apps.get_model("loyalty", "Cardholder")
    for cardholder in Cardholder.objects.filter(anonymised_at__isnull=True).iterator():
        cardholder.name_index = name_index_of(cardholder.first_name, cardholder.last_name)
        cardholder.save(update_fields=["name_index"])


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0010_cardholder_records"), ("auth", "0012_alter_user_first_name_max_length"),
                    ("contenttypes", "0002_remove_content_type_name")]

    operations = [
        migrations.RunPython(managers_get_new_permissions, migrations.RunPython.noop),
        migrations.RunPython(consents_from_audit, migrations.RunPython.noop),
        migrations.RunSQL(
            "CREATE TRIGGER loyalty_consent_append_only BEFORE UPDATE OR DELETE ON loyalty_consent "
            "FOR EACH ROW EXECUTE FUNCTION loyalty_refuse_change();",
            "DROP TRIGGER IF EXISTS loyalty_consent_append_only ON loyalty_consent;"),
        migrations.RunPython(name_index_build, migrations.RunPython.noop),
    ]
