#include <cstdio>
int main() { std::puts("rtsec"); return 0; }
