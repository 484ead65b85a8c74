#ifndef CRM_CPROTOBUFC_SHIM_H
#define CRM_CPROTOBUFC_SHIM_H
#include <protobuf-c/protobuf-c.h>
#endif
