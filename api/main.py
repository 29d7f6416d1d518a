"""The ASGI entry point for uvicorn: `uvicorn --factory api.main:build`."""

from fastapi import FastAPI

from api.app import create_app
from connect.settings import load_settings


def build() -> FastAPI:
    return create_app(load_settings())
