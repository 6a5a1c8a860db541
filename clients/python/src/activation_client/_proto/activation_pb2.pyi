from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
DTYPE_BFLOAT16: DType
DTYPE_FLOAT16: DType
DTYPE_FLOAT32: DType
DTYPE_FLOAT64: DType
DTYPE_UNSPECIFIED: DType
INPUT_KIND_OUTPUT: InputKind
INPUT_KIND_UNSPECIFIED: InputKind
INPUT_KIND_X: InputKind
MODE_BACKWARD: Mode
MODE_DERIVATIVE: Mode
MODE_FORWARD: Mode
MODE_FORWARD_AND_DERIVATIVE: Mode
MODE_UNSPECIFIED: Mode

class ActivationInfo(_message.Message):
    __slots__ = ["derivative_formula", "derivative_from_output", "elementwise", "formula", "max_ulp_error_float32", "max_ulp_error_float64", "name", "notes", "output_range", "parameters", "properties", "pytorch", "ulp_bounds_float32", "ulp_bounds_float64"]
    DERIVATIVE_FORMULA_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_FROM_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ELEMENTWISE_FIELD_NUMBER: _ClassVar[int]
    FORMULA_FIELD_NUMBER: _ClassVar[int]
    MAX_ULP_ERROR_FLOAT32_FIELD_NUMBER: _ClassVar[int]
    MAX_ULP_ERROR_FLOAT64_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_RANGE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    PYTORCH_FIELD_NUMBER: _ClassVar[int]
    ULP_BOUNDS_FLOAT32_FIELD_NUMBER: _ClassVar[int]
    ULP_BOUNDS_FLOAT64_FIELD_NUMBER: _ClassVar[int]
    derivative_formula: str
    derivative_from_output: bool
    elementwise: bool
    formula: str
    max_ulp_error_float32: float
    max_ulp_error_float64: float
    name: str
    notes: str
    output_range: Range
    parameters: _containers.RepeatedCompositeFieldContainer[Parameter]
    properties: Properties
    pytorch: str
    ulp_bounds_float32: UlpBounds
    ulp_bounds_float64: UlpBounds
    def __init__(self, name: _Optional[str] = ..., formula: _Optional[str] = ..., derivative_formula: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[Parameter, _Mapping]]] = ..., output_range: _Optional[_Union[Range, _Mapping]] = ..., properties: _Optional[_Union[Properties, _Mapping]] = ..., derivative_from_output: bool = ..., max_ulp_error_float32: _Optional[float] = ..., max_ulp_error_float64: _Optional[float] = ..., notes: _Optional[str] = ..., ulp_bounds_float32: _Optional[_Union[UlpBounds, _Mapping]] = ..., ulp_bounds_float64: _Optional[_Union[UlpBounds, _Mapping]] = ..., elementwise: bool = ..., pytorch: _Optional[str] = ...) -> None: ...

class ComputeBatchRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ComputeRequest]
    def __init__(self, items: _Optional[_Iterable[_Union[ComputeRequest, _Mapping]]] = ...) -> None: ...

class ComputeBatchResponse(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ComputeResponse]
    def __init__(self, items: _Optional[_Iterable[_Union[ComputeResponse, _Mapping]]] = ...) -> None: ...

class ComputeRequest(_message.Message):
    __slots__ = ["function", "grad", "id", "input", "input_kind", "mode", "params"]
    class ParamsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    GRAD_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    INPUT_KIND_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    function: str
    grad: Tensor
    id: str
    input: Tensor
    input_kind: InputKind
    mode: Mode
    params: _containers.ScalarMap[str, float]
    def __init__(self, id: _Optional[str] = ..., function: _Optional[str] = ..., params: _Optional[_Mapping[str, float]] = ..., mode: _Optional[_Union[Mode, str]] = ..., input: _Optional[_Union[Tensor, _Mapping]] = ..., grad: _Optional[_Union[Tensor, _Mapping]] = ..., input_kind: _Optional[_Union[InputKind, str]] = ...) -> None: ...

class ComputeResponse(_message.Message):
    __slots__ = ["derivative", "id", "max_ulp_error", "output"]
    DERIVATIVE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MAX_ULP_ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    derivative: Tensor
    id: str
    max_ulp_error: float
    output: Tensor
    def __init__(self, id: _Optional[str] = ..., output: _Optional[_Union[Tensor, _Mapping]] = ..., derivative: _Optional[_Union[Tensor, _Mapping]] = ..., max_ulp_error: _Optional[float] = ...) -> None: ...

class ComputeStreamResponse(_message.Message):
    __slots__ = ["error", "id", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: ErrorStatus
    id: str
    response: ComputeResponse
    def __init__(self, id: _Optional[str] = ..., response: _Optional[_Union[ComputeResponse, _Mapping]] = ..., error: _Optional[_Union[ErrorStatus, _Mapping]] = ...) -> None: ...

class DoubleArray(_message.Message):
    __slots__ = ["values"]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...

class ErrorStatus(_message.Message):
    __slots__ = ["code", "message"]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class FloatArray(_message.Message):
    __slots__ = ["values"]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...

class ListActivationsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListActivationsResponse(_message.Message):
    __slots__ = ["activations", "simd_target"]
    ACTIVATIONS_FIELD_NUMBER: _ClassVar[int]
    SIMD_TARGET_FIELD_NUMBER: _ClassVar[int]
    activations: _containers.RepeatedCompositeFieldContainer[ActivationInfo]
    simd_target: str
    def __init__(self, activations: _Optional[_Iterable[_Union[ActivationInfo, _Mapping]]] = ..., simd_target: _Optional[str] = ...) -> None: ...

class Parameter(_message.Message):
    __slots__ = ["default_value", "description", "integer", "name", "valid_range"]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INTEGER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALID_RANGE_FIELD_NUMBER: _ClassVar[int]
    default_value: float
    description: str
    integer: bool
    name: str
    valid_range: Range
    def __init__(self, name: _Optional[str] = ..., default_value: _Optional[float] = ..., valid_range: _Optional[_Union[Range, _Mapping]] = ..., description: _Optional[str] = ..., integer: bool = ...) -> None: ...

class Properties(_message.Message):
    __slots__ = ["bounded_above", "bounded_below", "monotonic", "saturating", "smooth", "zero_centered"]
    BOUNDED_ABOVE_FIELD_NUMBER: _ClassVar[int]
    BOUNDED_BELOW_FIELD_NUMBER: _ClassVar[int]
    MONOTONIC_FIELD_NUMBER: _ClassVar[int]
    SATURATING_FIELD_NUMBER: _ClassVar[int]
    SMOOTH_FIELD_NUMBER: _ClassVar[int]
    ZERO_CENTERED_FIELD_NUMBER: _ClassVar[int]
    bounded_above: bool
    bounded_below: bool
    monotonic: bool
    saturating: bool
    smooth: bool
    zero_centered: bool
    def __init__(self, bounded_below: bool = ..., bounded_above: bool = ..., smooth: bool = ..., monotonic: bool = ..., zero_centered: bool = ..., saturating: bool = ...) -> None: ...

class Range(_message.Message):
    __slots__ = ["max", "max_inclusive", "min", "min_inclusive"]
    MAX_FIELD_NUMBER: _ClassVar[int]
    MAX_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MIN_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    max: float
    max_inclusive: bool
    min: float
    min_inclusive: bool
    def __init__(self, min: _Optional[float] = ..., max: _Optional[float] = ..., min_inclusive: bool = ..., max_inclusive: bool = ...) -> None: ...

class RawArray(_message.Message):
    __slots__ = ["data", "dtype"]
    DATA_FIELD_NUMBER: _ClassVar[int]
    DTYPE_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    dtype: DType
    def __init__(self, dtype: _Optional[_Union[DType, str]] = ..., data: _Optional[bytes] = ...) -> None: ...

class Tensor(_message.Message):
    __slots__ = ["float32", "float64", "raw", "shape"]
    FLOAT32_FIELD_NUMBER: _ClassVar[int]
    FLOAT64_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    float32: FloatArray
    float64: DoubleArray
    raw: RawArray
    shape: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, shape: _Optional[_Iterable[int]] = ..., float32: _Optional[_Union[FloatArray, _Mapping]] = ..., float64: _Optional[_Union[DoubleArray, _Mapping]] = ..., raw: _Optional[_Union[RawArray, _Mapping]] = ...) -> None: ...

class UlpBounds(_message.Message):
    __slots__ = ["backward", "backward_from_output", "derivative", "derivative_from_output", "derivative_near_zero_max_abs_input", "derivative_near_zero_max_abs_value", "derivative_near_zero_ulp_of_one", "forward", "subnormal_extra_ulp"]
    BACKWARD_FIELD_NUMBER: _ClassVar[int]
    BACKWARD_FROM_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_FROM_OUTPUT_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_NEAR_ZERO_MAX_ABS_INPUT_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_NEAR_ZERO_MAX_ABS_VALUE_FIELD_NUMBER: _ClassVar[int]
    DERIVATIVE_NEAR_ZERO_ULP_OF_ONE_FIELD_NUMBER: _ClassVar[int]
    FORWARD_FIELD_NUMBER: _ClassVar[int]
    SUBNORMAL_EXTRA_ULP_FIELD_NUMBER: _ClassVar[int]
    backward: float
    backward_from_output: float
    derivative: float
    derivative_from_output: float
    derivative_near_zero_max_abs_input: float
    derivative_near_zero_max_abs_value: float
    derivative_near_zero_ulp_of_one: float
    forward: float
    subnormal_extra_ulp: float
    def __init__(self, forward: _Optional[float] = ..., derivative: _Optional[float] = ..., backward: _Optional[float] = ..., derivative_from_output: _Optional[float] = ..., backward_from_output: _Optional[float] = ..., derivative_near_zero_ulp_of_one: _Optional[float] = ..., derivative_near_zero_max_abs_input: _Optional[float] = ..., derivative_near_zero_max_abs_value: _Optional[float] = ..., subnormal_extra_ulp: _Optional[float] = ...) -> None: ...

class Mode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class InputKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class DType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
