"""Register sync with Visma: articles pushed and pulled, customers pulled and pushed (gather → plan → apply)."""
