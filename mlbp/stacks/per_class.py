"""Per-class results for a classifier: the confusion matrix and each class's recall, precision
and F1, named by the user's labels. With 15 classes the averages hide the one class a model never
finds; this is where it shows (and `min_class_recall` lets a blessing rule catch it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def class_report(y: np.ndarray, predicted: np.ndarray, names: list[Any]) -> dict[str, Any]:
    """`y` and `predicted` are codes 0..k-1; `names` the labels in code order."""
    import numpy as np
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    codes = list(range(len(names)))
    matrix = confusion_matrix(y, predicted, labels=codes)
    precision, recall, f1, support = precision_recall_fscore_support(y, predicted, labels=codes, zero_division=0)
    per_class = {str(n): {"recall": float(recall[i]), "precision": float(precision[i]), "f1": float(f1[i]),
                          "support": int(support[i])} for i, n in enumerate(names)}
    present = [i for i in codes if support[i] > 0]
    worst = min(present, key=lambda i: (recall[i], -support[i])) if present else None
    return {"labels": [str(n) for n in names], "matrix": matrix.astype(int).tolist(), "per_class": per_class,
            "worst_recall": None if worst is None else {"class": str(names[worst]), "recall": float(recall[worst]),
                                                        "support": int(support[worst])},
            "absent_from_holdout": [str(names[i]) for i in codes if support[i] == 0],
            "accuracy": float(np.trace(matrix) / max(matrix.sum(), 1))}
