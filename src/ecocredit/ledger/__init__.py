"""The public, tamper-evident Merkle log that records every state change of the platform."""
