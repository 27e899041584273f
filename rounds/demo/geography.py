"""Real places for the demo provider: localities (branches) with their towns and rural villages.

Coordinates are approximate town and village centres in WGS84 degrees (good to a few hundred metres,
which is what travel-time estimates need). North Yorkshire comes first: a small branch is Harrogate,
and the county's thirteen localities are a regional provider. A national provider adds urban branches
in neighbouring counties, whose "villages" are districts of the town. Postcode districts are the real
ones for each place, so addresses read right to a coordinator who knows the area.

Populations are rough weights (people), used only to place more homes in bigger places.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settlement:
    """A town, village or urban district: where homes and workers' bases are placed around."""

    name: str
    lat: float
    lon: float
    population: int
    postcode_district: str
    #: Spread of homes around the centre in km (one standard deviation).
    spread_km: float


@dataclass(frozen=True, slots=True)
class LocalityPlace:
    """A branch of the provider: its office town and the places its workers visit."""

    name: str
    county: str
    #: Rural branches drive; urban ones also walk, cycle and take the bus.
    rural: bool
    settlements: tuple[Settlement, ...]

    @property
    def office(self) -> Settlement:
        """The town the branch office is in (the first settlement)."""
        return self.settlements[0]


def _town(name: str, lat: float, lon: float, population: int, district: str) -> Settlement:
    return Settlement(name, lat, lon, population, district, spread_km=1.2 if population > 10_000 else 0.7)


def _village(name: str, lat: float, lon: float, population: int, district: str) -> Settlement:
    return Settlement(name, lat, lon, population, district, spread_km=0.35)


def _district(name: str, lat: float, lon: float, population: int, district: str) -> Settlement:
    return Settlement(name, lat, lon, population, district, spread_km=0.8)


NORTH_YORKSHIRE: tuple[LocalityPlace, ...] = (
    LocalityPlace("Harrogate", "North Yorkshire", False, (
        _town("Harrogate", 53.9921, -1.5418, 75_000, "HG1"),
        _village("Pannal", 53.9596, -1.5328, 3_500, "HG3"),
        _village("Killinghall", 54.0236, -1.5567, 4_000, "HG3"),
        _village("Hampsthwaite", 54.0231, -1.6003, 1_000, "HG3"),
        _village("Birstwith", 54.0383, -1.6370, 800, "HG3"),
        _village("Follifoot", 53.9661, -1.4838, 600, "HG3"),
        _village("Spofforth", 53.9556, -1.4497, 1_000, "HG3"),
        _village("Pateley Bridge", 54.0862, -1.7579, 2_200, "HG3"),
        _village("Summerbridge", 54.0542, -1.6983, 1_200, "HG3"),
    )),
    LocalityPlace("Knaresborough", "North Yorkshire", True, (
        _town("Knaresborough", 54.0087, -1.4672, 15_000, "HG5"),
        _village("Scotton", 54.0300, -1.4880, 700, "HG5"),
        _village("Farnham", 54.0406, -1.4618, 300, "HG5"),
        _village("Ferrensby", 54.0512, -1.4280, 200, "HG5"),
        _village("Staveley", 54.0586, -1.4502, 400, "HG5"),
        _village("Goldsborough", 53.9971, -1.4156, 500, "HG5"),
        _village("Flaxby", 54.0155, -1.3965, 200, "HG5"),
        _village("Boroughbridge", 54.0977, -1.3994, 3_400, "YO51"),
    )),
    LocalityPlace("Ripon", "North Yorkshire", True, (
        _town("Ripon", 54.1383, -1.5240, 16_700, "HG4"),
        _village("Sharow", 54.1446, -1.5040, 500, "HG4"),
        _village("Bishop Monkton", 54.0919, -1.4868, 800, "HG3"),
        _village("North Stainley", 54.1875, -1.5786, 700, "HG4"),
        _village("Kirkby Malzeard", 54.1653, -1.6497, 800, "HG4"),
        _village("Masham", 54.2226, -1.6567, 1_200, "HG4"),
        _village("West Tanfield", 54.2040, -1.5880, 600, "HG4"),
    )),
    LocalityPlace("Skipton", "North Yorkshire", True, (
        _town("Skipton", 53.9617, -2.0170, 14_600, "BD23"),
        _village("Embsay", 53.9797, -1.9939, 1_800, "BD23"),
        _village("Gargrave", 53.9802, -2.1046, 1_800, "BD23"),
        _village("Carleton-in-Craven", 53.9429, -2.0439, 1_200, "BD23"),
        _village("Cononley", 53.9186, -2.0217, 1_200, "BD20"),
        _village("Grassington", 54.0714, -1.9994, 1_100, "BD23"),
        _village("Hellifield", 54.0046, -2.2206, 1_100, "BD23"),
        _town("Settle", 54.0686, -2.2771, 2_500, "BD24"),
    )),
    LocalityPlace("Thirsk", "North Yorkshire", True, (
        _town("Thirsk", 54.2323, -1.3436, 4_900, "YO7"),
        _village("Sowerby", 54.2229, -1.3426, 3_000, "YO7"),
        _village("Carlton Miniott", 54.2255, -1.3926, 900, "YO7"),
        _village("Topcliffe", 54.1779, -1.3878, 600, "YO7"),
        _village("Dalton", 54.1829, -1.3490, 700, "YO7"),
        _village("Sutton-under-Whitestonecliffe", 54.2405, -1.2620, 200, "YO7"),
        _village("Easingwold", 54.1207, -1.1917, 4_600, "YO61"),
    )),
    LocalityPlace("Northallerton", "North Yorkshire", True, (
        _town("Northallerton", 54.3389, -1.4316, 16_800, "DL7"),
        _village("Romanby", 54.3270, -1.4490, 6_000, "DL7"),
        _village("Brompton", 54.3596, -1.4209, 2_000, "DL6"),
        _village("Osmotherley", 54.3693, -1.3047, 700, "DL6"),
        _town("Bedale", 54.2878, -1.5916, 3_700, "DL8"),
        _village("Leeming Bar", 54.3055, -1.5588, 1_800, "DL7"),
        _town("Stokesley", 54.4711, -1.1929, 5_600, "TS9"),
        _village("Great Ayton", 54.4899, -1.1385, 4_600, "TS9"),
    )),
    LocalityPlace("Richmond", "North Yorkshire", True, (
        _town("Richmond", 54.4032, -1.7367, 8_400, "DL10"),
        _town("Catterick Garrison", 54.3751, -1.7232, 12_000, "DL9"),
        _village("Colburn", 54.3869, -1.6867, 5_000, "DL9"),
        _village("Scorton", 54.3988, -1.6107, 900, "DL10"),
        _village("Reeth", 54.3886, -1.9432, 700, "DL11"),
        _village("Leyburn", 54.3095, -1.8285, 2_200, "DL8"),
        _village("Middleham", 54.2858, -1.8080, 800, "DL8"),
        _village("Hawes", 54.3039, -2.1967, 900, "DL8"),
    )),
    LocalityPlace("Whitby", "North Yorkshire", True, (
        _town("Whitby", 54.4858, -0.6206, 13_200, "YO21"),
        _village("Ruswarp", 54.4706, -0.6278, 1_000, "YO21"),
        _village("Sleights", 54.4594, -0.6658, 1_900, "YO22"),
        _village("Sandsend", 54.5033, -0.6722, 300, "YO21"),
        _village("Robin Hood's Bay", 54.4341, -0.5346, 1_300, "YO22"),
        _village("Egton", 54.4469, -0.7568, 400, "YO21"),
        _village("Hinderwell", 54.5409, -0.7750, 2_000, "TS13"),
        _village("Staithes", 54.5586, -0.7924, 800, "TS13"),
    )),
    LocalityPlace("Scarborough", "North Yorkshire", False, (
        _town("Scarborough", 54.2831, -0.3998, 61_700, "YO11"),
        _district("Eastfield", 54.2482, -0.4024, 8_000, "YO11"),
        _village("Scalby", 54.2965, -0.4451, 2_800, "YO13"),
        _village("Seamer", 54.2366, -0.4320, 4_000, "YO12"),
        _village("Cayton", 54.2352, -0.3778, 2_700, "YO11"),
        _village("Burniston", 54.3227, -0.4468, 1_200, "YO13"),
        _town("Filey", 54.2101, -0.2893, 6_900, "YO14"),
        _village("Hunmanby", 54.1784, -0.3213, 3_200, "YO14"),
    )),
    LocalityPlace("Malton", "North Yorkshire", True, (
        _town("Malton", 54.1355, -0.7975, 4_900, "YO17"),
        _village("Norton-on-Derwent", 54.1326, -0.7869, 7_400, "YO17"),
        _village("Rillington", 54.1564, -0.6977, 1_000, "YO17"),
        _village("Sherburn", 54.1849, -0.5383, 700, "YO17"),
        _town("Pickering", 54.2470, -0.7790, 7_000, "YO18"),
        _village("Kirkbymoorside", 54.2700, -0.9303, 3_000, "YO62"),
        _village("Helmsley", 54.2455, -1.0627, 1_500, "YO62"),
        _village("Hovingham", 54.1718, -0.9796, 350, "YO62"),
    )),
    LocalityPlace("Selby", "North Yorkshire", False, (
        _town("Selby", 53.7838, -1.0678, 17_000, "YO8"),
        _village("Barlby", 53.8005, -1.0427, 4_000, "YO8"),
        _village("Brayton", 53.7701, -1.0872, 4_500, "YO8"),
        _village("Riccall", 53.8342, -1.0566, 2_200, "YO19"),
        _village("Hemingbrough", 53.7689, -0.9786, 2_000, "YO8"),
        _town("Tadcaster", 53.8844, -1.2616, 6_000, "LS24"),
        _village("Sherburn in Elmet", 53.7968, -1.2327, 6_600, "LS25"),
    )),
    LocalityPlace("York", "North Yorkshire", False, (
        _town("York", 53.9590, -1.0815, 150_000, "YO1"),
        _district("Acomb", 53.9550, -1.1260, 22_000, "YO24"),
        _district("Heworth", 53.9680, -1.0580, 12_000, "YO31"),
        _village("Haxby", 54.0162, -1.0736, 9_000, "YO32"),
        _village("Strensall", 54.0405, -1.0363, 6_000, "YO32"),
        _village("Copmanthorpe", 53.9138, -1.1398, 4_300, "YO23"),
        _village("Bishopthorpe", 53.9225, -1.0948, 3_200, "YO23"),
        _village("Dunnington", 53.9669, -0.9862, 3_200, "YO19"),
    )),
    LocalityPlace("Craven Dales", "North Yorkshire", True, (
        _village("Ingleton", 54.1541, -2.4688, 2_000, "LA6"),
        _village("Bentham", 54.1169, -2.5100, 3_000, "LA2"),
        _village("Clapham", 54.1180, -2.3920, 600, "LA2"),
        _village("Austwick", 54.1118, -2.3549, 500, "LA2"),
        _village("Horton-in-Ribblesdale", 54.1496, -2.2940, 400, "BD24"),
        _village("Long Preston", 54.0208, -2.2576, 800, "BD23"),
    )),
)  # fmt: skip

#: Urban branches a national provider adds; their "villages" are districts of the town.
NEIGHBOURING: tuple[LocalityPlace, ...] = (
    LocalityPlace("Leeds North", "West Yorkshire", False, (
        _town("Leeds", 53.7997, -1.5492, 200_000, "LS2"),
        _district("Headingley", 53.8197, -1.5770, 20_000, "LS6"),
        _district("Chapel Allerton", 53.8290, -1.5370, 15_000, "LS7"),
        _district("Roundhay", 53.8410, -1.4970, 22_000, "LS8"),
        _district("Horsforth", 53.8410, -1.6380, 19_000, "LS18"),
        _district("Moortown", 53.8470, -1.5390, 20_000, "LS17"),
    )),
    LocalityPlace("Bradford", "West Yorkshire", False, (
        _town("Bradford", 53.7950, -1.7594, 200_000, "BD1"),
        _district("Shipley", 53.8330, -1.7770, 28_000, "BD18"),
        _district("Manningham", 53.8040, -1.7640, 20_000, "BD8"),
        _district("Eccleshill", 53.8170, -1.7280, 17_000, "BD2"),
        _district("Wibsey", 53.7730, -1.7740, 15_000, "BD6"),
    )),
    LocalityPlace("Teesside", "North Yorkshire and Teesside", False, (
        _town("Middlesbrough", 54.5742, -1.2350, 140_000, "TS1"),
        _district("Linthorpe", 54.5600, -1.2460, 15_000, "TS5"),
        _district("Acklam", 54.5430, -1.2590, 17_000, "TS5"),
        _district("Redcar", 54.6160, -1.0700, 37_000, "TS10"),
        _district("Guisborough", 54.5350, -1.0560, 17_000, "TS14"),
    )),
    LocalityPlace("Darlington", "County Durham", False, (
        _town("Darlington", 54.5236, -1.5595, 92_000, "DL1"),
        _district("Cockerton", 54.5340, -1.5870, 8_000, "DL3"),
        _district("Haughton-le-Skerne", 54.5380, -1.5310, 6_000, "DL1"),
        _village("Hurworth", 54.4880, -1.5450, 3_300, "DL2"),
    )),
    LocalityPlace("Hull", "East Riding of Yorkshire", False, (
        _town("Kingston upon Hull", 53.7457, -0.3367, 260_000, "HU1"),
        _district("Hessle", 53.7240, -0.4330, 15_000, "HU13"),
        _district("Cottingham", 53.7820, -0.4120, 17_000, "HU16"),
        _district("Sutton-on-Hull", 53.7780, -0.3010, 15_000, "HU7"),
        _town("Beverley", 53.8420, -0.4300, 30_000, "HU17"),
    )),
    LocalityPlace("Wakefield", "West Yorkshire", False, (
        _town("Wakefield", 53.6830, -1.4977, 110_000, "WF1"),
        _district("Ossett", 53.6800, -1.5800, 21_000, "WF5"),
        _district("Horbury", 53.6600, -1.5530, 10_000, "WF4"),
        _town("Pontefract", 53.6910, -1.3120, 30_000, "WF8"),
    )),
    LocalityPlace("Sheffield", "South Yorkshire", False, (
        _town("Sheffield", 53.3811, -1.4701, 300_000, "S1"),
        _district("Hillsborough", 53.4050, -1.5050, 20_000, "S6"),
        _district("Crookes", 53.3850, -1.5130, 15_000, "S10"),
        _district("Firth Park", 53.4160, -1.4460, 17_000, "S5"),
        _district("Woodseats", 53.3390, -1.4820, 15_000, "S8"),
    )),
)  # fmt: skip

#: Every locality the generator knows, in the order sizes take them.
ALL_LOCALITIES: tuple[LocalityPlace, ...] = NORTH_YORKSHIRE + NEIGHBOURING

#: Street names that could be in any of these towns (numbers and names are invented).
STREETS: tuple[str, ...] = (
    "Station Road", "High Street", "Church Lane", "Main Street", "Mill Lane", "Park Avenue",
    "Victoria Road", "York Road", "West End", "The Green", "Chapel Street", "Back Lane",
    "Springfield Drive", "Manor Close", "Orchard Way", "Beech Grove", "Oak Tree Close", "Moor Lane",
    "Abbey Road", "Castle View", "Dale View", "Meadow Court", "Westgate", "Eastgate", "Kirkgate",
    "Bridge Street", "Valley Drive", "Priory Close", "Garden Terrace", "Willow Crescent",
    "Queen Street", "King Street", "Albert Terrace", "Market Place", "North Road", "South Parade",
    "Hawthorn Avenue", "Fairfield Road", "St Mary's Walk", "Rowan Court",
)  # fmt: skip
