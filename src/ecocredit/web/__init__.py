"""The public portal: pages a person reads, served by the same app as the API."""
