# Stands in for ehrQL's heavy dependencies (numpy, pyarrow, sqlalchemy, ...), which
# are not needed to import its table and query-language modules.
import sys, types, importlib.abc, importlib.machinery
from unittest import mock
class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    STUB = ("pyarrow","numpy","sqlalchemy","pandas","structlog","hypothesis")
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in self.STUB:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec):
        m = mock.MagicMock(name=spec.name); m.__path__=[]; m.__spec__=spec; return m
    def exec_module(self, m): pass
sys.meta_path.insert(0, Finder())
