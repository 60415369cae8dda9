// Written by the worker-runtime work; placeholder so the package builds meanwhile.
export {};
