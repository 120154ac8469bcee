from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portolan.portfolio"
    label = "portfolio"
