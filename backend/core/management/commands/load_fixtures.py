from django.core.management.base import BaseCommand

from backend.core.services import fixtures_load


class Command(BaseCommand):
    help = "Load each app's fixtures: non-dev files once per database, dev_* files with --dev."

    def add_arguments(self, parser):
        parser.add_argument("--dev", action="store_true", help="also load the dev_* fixtures")

    def handle(self, *args, dev, **options):
        loaded = fixtures_load(include_dev=dev)
        self.stdout.write(f"loaded: {', '.join(loaded) if loaded else 'nothing new'}")
