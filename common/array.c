/* array.c — growing a realloc'd array; see common.h. */
#include "common.h"

#include <stdint.h>
#include <stdlib.h>

void *grow_array(void *array, size_t *capacity, size_t need, size_t elem_size)
{
    if (need <= *capacity)
        return array;
    size_t cap = *capacity ? *capacity : 16;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / elem_size)
            return NULL;            /* the size would overflow size_t */
        cap *= 2;
    }
    void *bigger = realloc(array, cap * elem_size);
    if (bigger)
        *capacity = cap;
    return bigger;
}
