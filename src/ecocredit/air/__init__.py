"""Air quality: station data to the real-time AQI, daily reports and annual evaluation."""
