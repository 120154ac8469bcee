from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "portolan.planning"
    label = "planning"
