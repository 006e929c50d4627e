from django.db import migrations

# A result goes with its job in the database itself, not only in Django's collector: a user's
# deletion collects the jobs' results before it waits on a job a worker is saving, so the result
# that worker then commits would otherwise break the delete. A migration of its own: Django adds
# the foreign keys of a migration's new tables at its very end, after any RunSQL in it.
_RESULT_FK = """
DO $$
DECLARE old_name text;
BEGIN
    SELECT conname INTO old_name FROM pg_constraint
    WHERE conrelid = 'jobs_jobresult'::regclass AND contype = 'f';
    EXECUTE format('ALTER TABLE jobs_jobresult DROP CONSTRAINT %I', old_name);
    ALTER TABLE jobs_jobresult ADD CONSTRAINT jobs_result_job_fk
        FOREIGN KEY (job_id) REFERENCES jobs_job (id) {on_delete}
        DEFERRABLE INITIALLY DEFERRED;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [
        migrations.RunSQL(
            _RESULT_FK.format(on_delete="ON DELETE CASCADE"), _RESULT_FK.format(on_delete="")
        ),
    ]
