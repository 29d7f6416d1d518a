"""The site itself: the start page, health probes, vocabularies, the Temporal codec endpoint and the dev outbox."""
