from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "portolan.risks"
    label = "risks"
