"""Declarative, sortable tables for list pages (a small subset of django-tables2)."""

from dataclasses import dataclass

from django.utils.html import format_html


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    order_by: str | None = None  # None: not sortable
    link: bool = False  # render as a link to the object
    kind: str = "text"  # text | rag | money | date | tags | stage


class Table:
    columns: tuple[Column, ...] = ()

    def __init__(self, request, default_sort: str = ""):
        self.request = request
        self.default_sort = default_sort
        self.sort_param = request.GET.get("sort", default_sort)

    def sort(self, queryset):
        desc = self.sort_param.startswith("-")
        name = self.sort_param.lstrip("-")
        for column in self.columns:
            if column.name == name and column.order_by:
                return queryset.order_by(f"{'-' if desc else ''}{column.order_by}", "pk")
        return queryset

    def headers(self) -> list[dict]:
        current = self.sort_param.lstrip("-")
        desc = self.sort_param.startswith("-")
        out = []
        for column in self.columns:
            params = self.request.GET.copy()
            params.pop("page", None)
            direction = None
            if column.order_by:
                params["sort"] = f"-{column.name}" if (current == column.name and not desc) else column.name
                if current == column.name:
                    direction = "descending" if desc else "ascending"
            out.append(
                {
                    "column": column,
                    "url": "?" + params.urlencode() if column.order_by else None,
                    "direction": direction,
                }
            )
        return out

    def rows(self, objects) -> list[dict]:
        return [{"object": obj, "cells": [self.cell(obj, c) for c in self.columns]} for obj in objects]

    def cell(self, obj, column: Column):
        value = getattr(self, f"render_{column.name}", None)
        if value is not None:
            return value(obj)
        raw = obj
        for part in column.name.split("__"):
            raw = getattr(raw, part, None) if raw is not None else None
        if column.link and raw is not None:
            return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), raw)
        return raw
