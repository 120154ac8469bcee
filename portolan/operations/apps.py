from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "portolan.operations"
    label = "operations"
