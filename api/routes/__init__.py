"""The API's routers, one module per group of routes of issue 17."""
