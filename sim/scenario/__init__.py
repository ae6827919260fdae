"""The scenario model: what a capacity planner writes in YAML.

``load_scenario(path)`` reads and validates a file into a frozen
:class:`Scenario`; every problem is reported at once in a
:class:`ScenarioError`. Durations are float seconds, times of day float
seconds after midnight, ``start`` an aware datetime.
"""

from sim.scenario.agents import AgentGroup, Break, Shift, staffing_changes
from sim.scenario.campaigns import (
    Campaign,
    PredictiveConfig,
    PreviewConfig,
    RedialPolicy,
    ScheduleEntry,
)
from sim.scenario.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    LogNormal,
    Uniform,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import (
    load_scenario,
    parse_scenario,
    resolved_dict,
    scenario_json_schema,
)
from sim.scenario.model import (
    AbandonmentRule,
    ApiSettings,
    Faults,
    Quota,
    Quotas,
    Scenario,
)
from sim.scenario.overrides import apply_overrides
from sim.scenario.sources import (
    Batch,
    CsvSource,
    PiecewiseSource,
    PoissonSource,
    RateWindow,
    ScheduleSource,
    Source,
)
from sim.scenario.telephony import AmdErrors, CallDurations, Instance, Outcomes
from sim.scenario.units import (
    format_duration,
    format_time_of_day,
    parse_duration,
    parse_time_of_day,
)

__all__ = [
    "AbandonmentRule",
    "AgentGroup",
    "AmdErrors",
    "ApiSettings",
    "Batch",
    "Break",
    "CallDurations",
    "Campaign",
    "CsvSource",
    "Distribution",
    "Empirical",
    "Exponential",
    "Faults",
    "Fixed",
    "Instance",
    "LogNormal",
    "Outcomes",
    "PiecewiseSource",
    "PoissonSource",
    "PredictiveConfig",
    "PreviewConfig",
    "Quota",
    "Quotas",
    "RateWindow",
    "RedialPolicy",
    "Scenario",
    "ScenarioError",
    "ScheduleEntry",
    "ScheduleSource",
    "Shift",
    "Source",
    "Uniform",
    "apply_overrides",
    "format_duration",
    "format_time_of_day",
    "load_scenario",
    "parse_duration",
    "parse_scenario",
    "parse_time_of_day",
    "resolved_dict",
    "scenario_json_schema",
    "staffing_changes",
]
