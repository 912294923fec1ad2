"""serve skips ``migrate`` only when every migration file is recorded as applied."""

from __future__ import annotations

import pytest
from django.db.migrations.recorder import MigrationRecorder

from koffer.shell import migrationsstand


@pytest.mark.django_db
def test_a_migrated_database_is_up_to_date_and_one_missing_migration_is_not() -> None:
    assert migrationsstand.auf_dem_stand()

    recorder = MigrationRecorder.Migration.objects
    last = recorder.filter(app="field").order_by("-name").first()
    assert last is not None
    last.delete()  # as if the migration file were new
    assert not migrationsstand.auf_dem_stand()
