from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "portolan.kpis"
    label = "kpis"
