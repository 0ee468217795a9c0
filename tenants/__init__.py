"""Merchants (tenants), their domains, provisioning of their schemas, and routing by host."""
