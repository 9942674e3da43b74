"""What every outbound HTTP request of imgmesh shares (origin fetches, webhook deliveries)."""
