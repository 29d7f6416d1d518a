"""FHIR: registered SMART clients, subscriptions, and the read rules of the FHIR API."""
