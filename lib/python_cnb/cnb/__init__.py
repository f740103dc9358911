"""Spec plumbing for Cloud Native Buildpacks: knows nothing about Python apps."""
