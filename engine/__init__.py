"""Tindak's process engine: BPMN versions, persisted SpiffWorkflow instances, human tasks, audit.

It knows BPMN, SpiffWorkflow and persistence, and nothing about complaints: whatever is
domain-specific (script functions, who may take a lane's tasks, which variables become
columns) is passed in by `workflows/`.
"""
