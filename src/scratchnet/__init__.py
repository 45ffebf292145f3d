"""scratchnet: a from-scratch NumPy neural network against logistic regression, run by DVC."""
