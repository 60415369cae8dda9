// Written by the conformance work; placeholder so the package builds meanwhile.
export {};
