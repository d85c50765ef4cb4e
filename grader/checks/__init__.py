"""The check kinds, registered in one place: ``CHECKS[criterion.check]``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from grader.checks import (
    answer,
    command,
    dockerfile_lint,
    file_content,
    file_exists,
    final_base,
    image_size,
    layer_efficiency,
    metadata,
    multi_stage,
    output,
    paths,
    size_reduction,
    target_builds,
    written_reduction,
)
from grader.checks.base import CheckKind

CHECKS: Mapping[str, CheckKind[Any]] = MappingProxyType(
    {
        "multi_stage": multi_stage.KIND,
        "final_base": final_base.KIND,
        "image_size": image_size.KIND,
        "output": output.KIND,
        "target_builds": target_builds.KIND,
        "size_reduction": size_reduction.KIND,
        "paths_absent": paths.ABSENT,
        "paths_present": paths.PRESENT,
        "dockerfile_lint": dockerfile_lint.KIND,
        "file_exists": file_exists.KIND,
        "metadata": metadata.KIND,
        "command": command.KIND,
        "file_content": file_content.KIND,
        "layer_efficiency": layer_efficiency.KIND,
        "written_reduction": written_reduction.KIND,
        "answer": answer.KIND,
    }
)
