"""asset_svc: the media library, img-processing Images, usage and jobs (all durable state)."""
