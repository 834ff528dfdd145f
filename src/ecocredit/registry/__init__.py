"""The carbon credit registry: classes, projects, reports, batches and serial-numbered holdings."""
