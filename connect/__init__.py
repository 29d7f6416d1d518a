"""CONNECT platform glue: settings, the Temporal client, the payload codec, the launcher."""
