"""Settings every test run shares."""

import os

# scikit-learn's array-API estimator check runs only when SciPy is told, before it is first
# imported, to accept array-API inputs; with it set the glassnet estimators pass that check too.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
