"""What serving and batch share: the input signature checker and the loaded model's fast paths."""
